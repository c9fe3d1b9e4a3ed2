// What the chat client says, in the user's language: English, or Chinese when the
// locale (LC_ALL, LC_MESSAGES, LANG) is zh. The wire keeps the Go chat's strings.

export type Language = "en" | "zh";

/** The language of the environment's locale. */
export function languageOf(env: NodeJS.ProcessEnv): Language {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || "";
  return /^zh/i.test(locale) ? "zh" : "en";
}

export interface Words {
  joined(name: string): string;
  left(name: string): string;
}

export const WORDS: Record<Language, Words> = {
  en: { joined: (n) => `${n} joined`, left: (n) => `${n} left` },
  zh: { joined: (n) => `${n} 加入了聊天室`, left: (n) => `${n} 离开了聊天室` },
};

import { taurusVitest } from "../../vitest.shared";

export default taurusVitest(import.meta.url);

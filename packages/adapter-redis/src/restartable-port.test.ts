// restartablePort: a free port below the ephemeral range, for servers restarted on the same port.
import net from "node:net";
import { describe, expect, it } from "vitest";
import { restartablePort } from "./testing";

describe("restartablePort", () => {
  it("gives free ports of 127.0.0.1 below the ephemeral range", async () => {
    for (let i = 0; i < 5; i++) {
      const port = await restartablePort();
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(32_000);
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", resolve);
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

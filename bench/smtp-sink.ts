/**
 * An SMTP sink for benchmarks: a real smtp-server on 127.0.0.1 that accepts every message,
 * discards the bytes unparsed (no mailparser) and counts. Run as a child process (IPC): it sends
 * { port } once listening, answers "count" with { count }, and exits on "close".
 *
 *   fork("bench/smtp-sink.ts", [port], { execArgv: ["--import", "tsx"] })
 */
import { SMTPServer } from "smtp-server";

const port = Number(process.argv[2] ?? 0);
let count = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  logger: false,
  maxClients: 100,
  onData(stream, _session, callback) {
    stream.on("data", () => {});
    stream.on("end", () => {
      count++;
      callback();
    });
  },
});
server.on("error", (error) => console.error(`sink: ${error.message}`));
server.listen(port, "127.0.0.1", () => {
  const address = server.server.address();
  process.send?.({ port: typeof address === "object" && address ? address.port : port });
});
process.on("message", (message) => {
  if (message === "count") process.send?.({ count });
  if (message === "close") server.close(() => process.exit(0));
});
process.on("disconnect", () => process.exit(0));

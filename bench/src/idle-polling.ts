/**
 * Equal wake-ups for every connection. On a VM whose idle vCPUs halt at once (the cpuidle haltpoll governor with
 * guest_halt_poll_ns 0, as on this project's Firecracker machines), a reply that wakes a thread on a halted vCPU
 * waits some 60-80 µs for it, and whether a connection's server thread sits on the other vCPU is chance: on one
 * pool a trivial prepared SELECT took 21 µs, on the next 100 µs, each for minutes on end, in one process. Every
 * tool uses one connection of its pool at a time, so that chance fell on whole cells (±40% on a 150 µs query).
 * For the run, idle vCPUs poll for a while before they halt, so every connection wakes alike; the setting is put
 * back when the process exits. `--no-idle-polling` leaves the machine as it is.
 */
import { readFileSync, writeFileSync } from "node:fs";

const PARAMETER = "/sys/module/haltpoll/parameters/guest_halt_poll_ns";
const POLL_NS = 200_000;

/**
 * Sets idle polling where it is off and can be set (unless `leave`, from --no-idle-polling); returns how idle vCPUs
 * behave during the run, for the results.
 */
export function pollIdleCpus(leave: boolean): string {
  let before: string;
  try {
    before = readFileSync(PARAMETER, "utf8").trim();
  } catch {
    return "no haltpoll cpuidle on this machine (left as is)";
  }
  if (leave) return `idle vCPUs: guest_halt_poll_ns ${before}, left as is (--no-idle-polling)`;
  if (Number(before) >= POLL_NS) return `idle vCPUs poll ${Number(before) / 1000} µs before halting (guest_halt_poll_ns, as set on the machine)`;
  try {
    writeFileSync(PARAMETER, String(POLL_NS));
  } catch (error) {
    return `idle vCPUs halt at once (guest_halt_poll_ns ${before}, not writable here: ${(error as Error).message}); connections' wake-ups vary`;
  }
  const restore = () => writeFileSync(PARAMETER, before);
  process.on("exit", restore);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
  return `idle vCPUs poll ${POLL_NS / 1000} µs before halting (guest_halt_poll_ns ${before} -> ${POLL_NS} for the run, restored after)`;
}

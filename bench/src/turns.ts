/**
 * The order in which the tools take their turns in round `round`: a Williams design, in which, over a cycle of
 * rounds (n rounds for n tools, 2n for an odd n), every tool runs right after every other tool equally often.
 * A plain rotation ran each tool after the same neighbour every round, so whatever a turn leaves behind fell on
 * one tool: raw's batch of inserts, the largest, is deleted after it, and InnoDB purges those rows into the next
 * turn, which was always quarry's (MariaDB's insert and update measured quarry at 1.14x and 1.16x raw that way,
 * 0.97x and 1.03x with the two alone).
 */
export function turnOrder<T>(tools: readonly T[], round: number): T[] {
  const n = tools.length;
  // The first row 0, 1, n-1, 2, n-2, ...; each row after it adds one to every entry (mod n).
  const first = Array.from({ length: n }, (_, k) => (k === 0 ? 0 : k % 2 === 1 ? (k + 1) / 2 : n - k / 2));
  const row = round % (n % 2 === 0 ? n : 2 * n);
  const order = first.map((start) => tools[(start + row) % n]!);
  // With an odd number of tools the rows repeat reversed, which balances the pairs the first n rows miss.
  return row >= n ? order.reverse() : order;
}

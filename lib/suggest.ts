/**
 * `"max_length"; did you mean "maxLength"? (known: ...)`: an unknown name, the known one it most likely
 * stands for (same letters ignoring case and `_`/`-`, else within a couple of edits), and the list.
 */
export function unknownName(name: string, known: readonly string[], what: string): string {
  const guess = nearest(name, known);
  const hint = guess ? `; did you mean ${JSON.stringify(guess)}?` : "";
  return `${what} ${JSON.stringify(name)}${hint} (known: ${known.join(", ")})`;
}

export function nearest(name: string, known: readonly string[]): string | undefined {
  const folded = fold(name);
  const same = known.find((candidate) => fold(candidate) === folded);
  if (same) return same;
  let best: string | undefined;
  let bestDistance = Math.min(3, Math.floor(folded.length / 3) + 1);
  for (const candidate of known) {
    const distance = editDistance(folded, fold(candidate));
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function fold(name: string): string {
  return name.toLowerCase().replace(/[_\-\s]/g, "");
}

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const rows = [Array.from({ length: b.length + 1 }, (_, index) => index)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

const TIMESTAMP = /^(-?\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?\s*(?:(Z)|([+-])(\d\d)(?::?(\d\d))?)?$/i;

/**
 * Reads the timestamp text every database returns (ISO 8601 from SQLite, "+00" offsets from
 * PostgreSQL, bare UTC from MySQL) as a Date, milliseconds kept, years before 1970 and 100 too.
 */
export function parseTimestamp(text: string): Date {
  const match = TIMESTAMP.exec(text);
  if (!match) return new Date(text);
  const [, year, month, day, hour, minute, second, fraction = "", , sign, offsetHours = "0", offsetMinutes = "0"] = match;
  const date = new Date(0);
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), Number(fraction.padEnd(3, "0").slice(0, 3)));
  if (sign) {
    const offset = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
    date.setTime(date.getTime() - (sign === "-" ? -offset : offset));
  }
  return date;
}

/** "YYYY-MM-DD HH:MM:SS.mmm" in UTC, the form MySQL's DATETIME accepts. */
export function formatUtcTimestamp(date: Date): string {
  return date.toISOString().replace("T", " ").replace("Z", "");
}

/**
 * True when PostgreSQL refused a statement because of the data it carried (SQLSTATE class 22, data
 * exception: a string it cannot store, a number out of range; class 23, a constraint; class 54, a value
 * too large), as opposed to a connection or server fault. Retrying such a statement never helps, so the
 * row that caused it must be set apart. https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^(22|23|54)/.test(code);
}

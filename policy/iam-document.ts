/** One statement of an IAM policy document, with Action/Resource/Principal normalised to lists. */
export interface Statement {
  effect: string;
  actions: string[];
  notActions: string[];
  resources: string[];
  servicePrincipals: string[];
  otherPrincipals: string[];
  hasCondition: boolean;
  /** The Condition block as written: operator -> condition key -> value(s). */
  conditions: Record<string, Record<string, unknown>>;
}

const list = (value: unknown): string[] => (value === undefined ? [] : [value].flat().map(String));

/** Parses a policy document given as JSON text or as an object; unknown (preview) values give []. */
export function statementsOf(document: unknown): Statement[] {
  let parsed: any = document;
  if (typeof document === "string") {
    try {
      parsed = JSON.parse(document);
    } catch {
      return [];
    }
  }
  // A statement that is not an object (null, a number) grants and denies nothing: it is left out, not a crash.
  const statements: any[] = parsed?.Statement === undefined ? [] : [parsed.Statement].flat();
  return statements
    .filter((statement) => typeof statement === "object" && statement !== null)
    .map((statement) => {
      const principals = statement.Principal === "*" ? { AWS: "*" } : (statement.Principal ?? {});
      return {
        effect: statement.Effect,
        actions: list(statement.Action),
        notActions: list(statement.NotAction),
        resources: list(statement.Resource),
        servicePrincipals: list(principals.Service),
        otherPrincipals: Object.entries(principals)
          .filter(([kind]) => kind !== "Service")
          .flatMap(([, value]) => list(value)),
        hasCondition: statement.Condition !== undefined && Object.keys(statement.Condition).length > 0,
        conditions: typeof statement.Condition === "object" && statement.Condition !== null ? statement.Condition : {},
      };
    });
}

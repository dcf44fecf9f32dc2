import { GravitonPolicy, propsOf, TYPES } from "./definition";

/** Graviton RDS classes: the generation digit followed by `g` (db.t4g, db.m7g, db.r8g, db.m6gd ...). */
const GRAVITON_CLASS = /^db\.[a-z]+\d+g[a-z]*\./;

const instanceName = (props: Record<string, any>, fallback: string) => props.identifier ?? fallback;

/** A policy on every RDS instance: `check` returns what is wrong, or nothing. */
function instancePolicy(
  policy: Omit<GravitonPolicy, "validateResource" | "validateStack">,
  check: (props: Record<string, any>, config: any) => string | undefined,
): GravitonPolicy {
  return {
    ...policy,
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.rdsInstance);
      const problem = props && check(props, args.getConfig());
      if (problem) report(`Database ${instanceName(props, args.name)} ${problem}.`);
    },
  };
}

export const rdsPolicies: GravitonPolicy[] = [
  instancePolicy(
    {
      name: "rds-storage-encrypted",
      description: "RDS storage is encrypted at rest (AWS Security Hub RDS.3; Checkov CKV_AWS_16).",
      enforcementLevel: "mandatory",
      howToFix:
        "Set storageEncrypted: true (Database does, with its own KMS key). Encryption cannot be added to an existing instance: restore a snapshot into an encrypted one.",
    },
    (props) => (props.storageEncrypted === true ? undefined : "stores its data unencrypted"),
  ),
  instancePolicy(
    {
      name: "rds-not-public",
      description: "RDS instances are not publicly accessible (AWS Security Hub RDS.2; Checkov CKV_AWS_17).",
      enforcementLevel: "mandatory",
      howToFix: "Set publiclyAccessible: false and reach the database through RDS Proxy from inside the VPC.",
    },
    (props) => (props.publiclyAccessible === true ? "is publicly accessible" : undefined),
  ),
  instancePolicy(
    {
      name: "rds-iam-auth",
      description: "RDS instances have IAM database authentication enabled (AWS Security Hub RDS.10; Checkov CKV_AWS_161).",
      enforcementLevel: "mandatory",
      howToFix: "Set iamDatabaseAuthenticationEnabled: true.",
    },
    (props) => (props.iamDatabaseAuthenticationEnabled === true ? undefined : "has IAM database authentication off"),
  ),
  instancePolicy(
    {
      name: "rds-backups",
      description: "RDS instances keep automated backups for at least minimumDays (AWS Security Hub RDS.11; Checkov CKV_AWS_133).",
      enforcementLevel: "mandatory",
      configSchema: { properties: { minimumDays: { type: "integer", minimum: 1, maximum: 35, default: 7 } } },
      howToFix: "Set graviton-platform:database.backupRetentionDays to at least the policy's minimumDays.",
    },
    (props, config: { minimumDays: number }) => {
      const days = props.backupRetentionPeriod ?? 1;
      return days >= config.minimumDays
        ? undefined
        : `keeps backups for ${days} day${days === 1 ? "" : "s"}; at least ${config.minimumDays} required`;
    },
  ),
  instancePolicy(
    {
      name: "rds-deletion-protection",
      description:
        "RDS instances have deletion protection and take a final snapshot (AWS Security Hub RDS.8; Checkov CKV_AWS_293). Advisory by default; policy/strict.json, for production stacks, makes it mandatory.",
      enforcementLevel: "advisory",
      howToFix: "Set graviton-platform:database.deletionProtection and finalSnapshot to true.",
    },
    (props) => {
      const missing = [
        props.deletionProtection !== true && "deletion protection",
        props.skipFinalSnapshot !== false && "final snapshot",
      ].filter(Boolean);
      return missing.length > 0 ? `has no ${missing.join(" and no ")}` : undefined;
    },
  ),
  instancePolicy(
    {
      name: "rds-graviton",
      description:
        "RDS instances run on a Graviton instance class (db.t4g, db.m7g, db.r8g ...): better price performance, the point of this platform.",
      enforcementLevel: "advisory",
      configSchema: {
        properties: {
          allow: { type: "array", items: { type: "string" }, default: [], description: "Instance identifiers allowed on other classes" },
        },
      },
      howToFix: 'Set graviton-platform:database.instanceClass to a Graviton class such as "db.t4g.micro" or "db.m7g.large".',
    },
    (props, config: { allow: string[] }) =>
      GRAVITON_CLASS.test(props.instanceClass ?? "") || config.allow.includes(props.identifier)
        ? undefined
        : `runs on ${props.instanceClass}, not a Graviton class`,
  ),
  {
    name: "rds-proxy-tls",
    description: "RDS Proxy accepts TLS connections only (Checkov CKV_AWS_279 for proxies).",
    enforcementLevel: "mandatory",
    howToFix: "Set requireTls: true on the aws.rds.Proxy (Database does).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.rdsProxy);
      if (props && props.requireTls !== true) report(`Proxy ${props.name ?? args.name} accepts unencrypted connections.`);
    },
  },
  {
    name: "rds-proxy-iam-auth",
    description: "RDS Proxy requires IAM authentication from every client: no database password in any function.",
    enforcementLevel: "mandatory",
    howToFix: 'Set iamAuth: "REQUIRED" on every entry of the proxy\'s auths.',
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.rdsProxy);
      if (!props) return;
      const auths: { iamAuth?: string; username?: string; secretArn?: string }[] = props.auths ?? [];
      const open = auths.filter((auth) => auth.iamAuth !== "REQUIRED");
      if (auths.length === 0 || open.length > 0) {
        report(
          `Proxy ${props.name ?? args.name} lets ${auths.length === 0 ? "clients" : `${open.length} of its logins`} sign in without IAM.`,
        );
      }
    },
  },
];

import { GravitonPolicy, TYPES } from "./definition";

const POSTGRES_PORT = 5432;
const EVERYWHERE = new Set(["0.0.0.0/0", "::/0"]);

interface IngressRule {
  cidrs: string[];
  protocol: string;
  fromPort?: number;
  toPort?: number;
}

/** Every ingress rule a resource declares, in whichever of the three ways the AWS provider offers. */
function ingressRulesOf(args: { type: string; props: Record<string, any> }): IngressRule[] {
  const props = args.props;
  switch (args.type) {
    case TYPES.securityGroup:
      return (props.ingress ?? []).map((rule: any) => ({
        cidrs: [...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? [])],
        protocol: String(rule.protocol),
        fromPort: rule.fromPort,
        toPort: rule.toPort,
      }));
    case TYPES.securityGroupRule:
      return props.type === "ingress"
        ? [
            {
              cidrs: [...(props.cidrBlocks ?? []), ...(props.ipv6CidrBlocks ?? [])],
              protocol: String(props.protocol),
              fromPort: props.fromPort,
              toPort: props.toPort,
            },
          ]
        : [];
    case TYPES.securityGroupIngressRule:
      return [
        {
          cidrs: [props.cidrIpv4, props.cidrIpv6].filter(Boolean),
          protocol: String(props.ipProtocol),
          fromPort: props.fromPort,
          toPort: props.toPort,
        },
      ];
    default:
      return [];
  }
}

const coversPostgres = (rule: IngressRule) =>
  rule.protocol === "-1" || rule.protocol === "all" || ((rule.fromPort ?? 0) <= POSTGRES_PORT && POSTGRES_PORT <= (rule.toPort ?? 65535));

export const ec2Policies: GravitonPolicy[] = [
  {
    name: "sg-no-public-postgres",
    description:
      "No security group lets the whole internet (0.0.0.0/0 or ::/0) reach PostgreSQL's port 5432 (AWS Security Hub EC2.19; Checkov CKV_AWS_24 family).",
    enforcementLevel: "mandatory",
    howToFix:
      "Allow 5432 only from the security group of the clients (Database allows the proxy from granted functions, and the database from the proxy).",
    validateResource: (args, report) => {
      const open = ingressRulesOf(args).filter((rule) => coversPostgres(rule) && rule.cidrs.some((cidr) => EVERYWHERE.has(cidr)));
      if (open.length > 0)
        report(
          `${args.name} lets ${open
            .flatMap((rule) => rule.cidrs)
            .filter((cidr) => EVERYWHERE.has(cidr))
            .join(" and ")} reach port ${POSTGRES_PORT}.`,
        );
    },
  },
];

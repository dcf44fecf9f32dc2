import { GravitonPolicy, propsOf, TYPES } from "./definition";

/** Log groups keep logs for a limited time (AWS Security Hub CloudWatch.16), not forever. */
export const cloudwatchPolicies: GravitonPolicy[] = [
  {
    name: "log-group-retention",
    description:
      "CloudWatch log groups have a retention period (AWS Security Hub CloudWatch.16; Checkov CKV_AWS_338), so logs do not pile up forever.",
    enforcementLevel: "mandatory",
    howToFix: "Set retentionInDays on the log group (graviton-platform:logRetentionDays for the platform's own).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.logGroup);
      if (props && !(props.retentionInDays > 0)) report(`Log group ${props.name ?? args.name} never expires its logs.`);
    },
  },
];

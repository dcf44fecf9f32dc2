import { GravitonPolicy, propsOf, TYPES } from "./definition";

export const sfnPolicies: GravitonPolicy[] = [
  {
    name: "sfn-logging",
    description: "Step Functions state machines log their executions to CloudWatch (AWS Security Hub StepFunctions.1).",
    enforcementLevel: "mandatory",
    howToFix: "Set loggingConfiguration with a level other than OFF and a log group destination (PowerTuning does).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.stateMachine);
      const logging = props?.loggingConfiguration;
      if (props && (!logging?.logDestination || (logging.level ?? "OFF") === "OFF"))
        report(`State machine ${props.name ?? args.name} does not log its executions.`);
    },
  },
  {
    name: "sfn-tracing",
    description: "Step Functions state machines have X-Ray tracing on, so a slow or failing execution can be followed into its functions.",
    enforcementLevel: "advisory",
    howToFix: "Set tracingConfiguration.enabled: true (PowerTuning does).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.stateMachine);
      if (props && props.tracingConfiguration?.enabled !== true) report(`State machine ${props.name ?? args.name} is not traced.`);
    },
  },
];

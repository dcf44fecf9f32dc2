import { GravitonPolicy, propsOf, TYPES } from "./definition";

export const apigatewayPolicies: GravitonPolicy[] = [
  {
    name: "apigateway-stage-access-logging",
    description: "API Gateway v2 stages write access logs (AWS Security Hub APIGateway.9; Checkov CKV_AWS_76).",
    enforcementLevel: "mandatory",
    howToFix: "Set accessLogSettings with a CloudWatch log group ARN and a format (HttpApi does).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.httpStage);
      if (props && !props.accessLogSettings?.destinationArn) report(`Stage ${props.name ?? args.name} has no access logging.`);
    },
  },
  {
    name: "apigateway-default-route-throttling",
    description: "API Gateway v2 stages throttle the default route, so a burst of requests cannot run up unbounded concurrency and cost.",
    enforcementLevel: "advisory",
    howToFix: "Set defaultRouteSettings.throttlingBurstLimit and throttlingRateLimit (graviton-platform:httpApiBurstLimit and httpApiRateLimit).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.httpStage);
      const settings = props?.defaultRouteSettings ?? {};
      if (props && !(settings.throttlingBurstLimit > 0 && settings.throttlingRateLimit > 0)) {
        report(`Stage ${props.name ?? args.name} has no default route throttling.`);
      }
    },
  },
];

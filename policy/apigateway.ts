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
    howToFix:
      "Set defaultRouteSettings.throttlingBurstLimit and throttlingRateLimit (graviton-platform:httpApiBurstLimit and httpApiRateLimit).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.httpStage);
      const settings = props?.defaultRouteSettings ?? {};
      if (props && !(settings.throttlingBurstLimit > 0 && settings.throttlingRateLimit > 0)) {
        report(`Stage ${props.name ?? args.name} has no default route throttling.`);
      }
    },
  },
  {
    name: "apigateway-websocket-connect-authorized",
    description:
      "A WebSocket API's $connect route has an authorizer: the connection is where the caller is identified (Security Hub APIGateway.8 for routes).",
    enforcementLevel: "mandatory",
    howToFix: 'Set authorizationType "CUSTOM" (a REQUEST authorizer) or "AWS_IAM" on the $connect route (WebSocketApi does).',
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.apiRoute);
      if (props?.routeKey === "$connect" && !["CUSTOM", "AWS_IAM"].includes(props.authorizationType))
        report("The $connect route lets anyone connect.");
    },
  },
  {
    name: "apigateway-protected-routes-authorized",
    description:
      "HTTP routes under the protected paths (default /jobs) require authorization: they take work for, or return data of, a user.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { protectedPaths: { type: "array", items: { type: "string" }, default: ["/jobs"] } } },
    howToFix: "Set authorized: true on the route (the HTTP API's JWT authorizer).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.apiRoute);
      const path = /^\S+ (\/\S*)$/.exec(props?.routeKey ?? "")?.[1];
      const { protectedPaths } = args.getConfig<{ protectedPaths: string[] }>();
      if (
        path &&
        protectedPaths.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)) &&
        !["JWT", "CUSTOM", "AWS_IAM"].includes(props!.authorizationType)
      ) {
        report(`Route ${props!.routeKey} is open to anyone.`);
      }
    },
  },
];

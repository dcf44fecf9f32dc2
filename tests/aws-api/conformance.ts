import type { RegisteredResource } from "../mock-engine";
import { MAPPINGS, NOT_AWS_REQUESTS, type ApiRequest } from "./api-requests";
import { documentedRuleViolations } from "./documented-rules";
import { validateRequest } from "./validate-request";

/** What checking every registered resource against AWS's models found. */
export interface Conformance {
  violations: string[];
  /** Inputs that no request carries and no `notSent` names: the mapping needs them. */
  unmapped: string[];
  /** Types registered that have no mapping at all. */
  unknownTypes: string[];
  requests: number;
  checked: number;
}

/** Each resource's requests, checked against the model of its operation. */
export function checkConformance(resources: RegisteredResource[]): Conformance {
  const result: Conformance = { violations: [], unmapped: [], unknownTypes: [], requests: 0, checked: 0 };
  const all: (ApiRequest & { resource: string })[] = [];
  // The mock engine gives every resource the id `<name>-id`: how a route finds its API's protocol.
  const apiProtocols = new Map(
    resources
      .filter((resource) => resource.type === "aws:apigatewayv2/api:Api")
      .map((api) => [`${api.name}-id`, String(api.inputs.protocolType)]),
  );
  for (const resource of resources) {
    if (!resource.custom || resource.type in NOT_AWS_REQUESTS) continue;
    const mapping = MAPPINGS[resource.type];
    if (!mapping) {
      if (!result.unknownTypes.includes(resource.type)) result.unknownTypes.push(resource.type);
      continue;
    }
    const requests: ApiRequest[] = mapping.requests(resource.inputs, resource);
    all.push(...requests.map((request) => ({ ...request, resource: `${resource.type} ${resource.name}` })));
    for (const { service, operation, request } of requests) {
      const check = validateRequest(service, operation, request);
      result.requests++;
      result.checked += check.checked;
      result.violations.push(...check.violations.map((violation) => `${resource.type} ${resource.name}: ${violation}`));
      result.unmapped.push(
        ...check.unmapped
          .filter((path) => !(mapping.notSent ?? []).includes(path) && path !== "tags")
          .map((path) => `${resource.type} ${resource.name}: ${service} ${operation} has no member for ${path}`),
      );
    }
  }
  result.violations.push(...documentedRuleViolations(all, apiProtocols));
  return result;
}

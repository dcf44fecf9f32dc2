import { apigatewayPolicies } from "./apigateway";
import { capacityPolicies } from "./capacity";
import { cloudwatchPolicies } from "./cloudwatch";
import { GravitonPolicy } from "./definition";
import { ecrPolicies } from "./ecr";
import { iamPolicies } from "./iam";
import { lambdaPolicies } from "./lambda";

/** Every policy of the pack, one file per service. */
export const policies: GravitonPolicy[] = [
  ...lambdaPolicies,
  ...cloudwatchPolicies,
  ...ecrPolicies,
  ...iamPolicies,
  ...apigatewayPolicies,
  ...capacityPolicies,
];

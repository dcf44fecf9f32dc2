import { apigatewayPolicies } from "./apigateway";
import { capacityPolicies } from "./capacity";
import { cloudwatchPolicies } from "./cloudwatch";
import { codedeployPolicies } from "./codedeploy";
import { GravitonPolicy } from "./definition";
import { ec2Policies } from "./ec2";
import { ecrPolicies } from "./ecr";
import { iamPolicies } from "./iam";
import { lambdaPolicies } from "./lambda";
import { rdsPolicies } from "./rds";
import { s3Policies } from "./s3";
import { sfnPolicies } from "./sfn";
import { sqsPolicies } from "./sqs";

/** Every policy of the pack, one file per service. */
export const policies: GravitonPolicy[] = [
  ...lambdaPolicies,
  ...codedeployPolicies,
  ...cloudwatchPolicies,
  ...ecrPolicies,
  ...iamPolicies,
  ...apigatewayPolicies,
  ...capacityPolicies,
  ...rdsPolicies,
  ...ec2Policies,
  ...sqsPolicies,
  ...sfnPolicies,
  ...s3Policies,
];

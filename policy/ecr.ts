import { BUILD_TAG_PREFIX } from "../components/container-image-settings";
import { GravitonPolicy, propsOf, TYPES } from "./definition";
import { statementsOf } from "./iam-document";

export const ecrPolicies: GravitonPolicy[] = [
  {
    name: "ecr-scan-on-push",
    description: "ECR repositories scan images on push (AWS Security Hub ECR.1; Checkov CKV_AWS_163).",
    enforcementLevel: "mandatory",
    howToFix: "Set imageScanningConfiguration.scanOnPush to true (ContainerImage does).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.ecrRepository);
      if (props && props.imageScanningConfiguration?.scanOnPush !== true) report("Images are not scanned on push.");
    },
  },
  {
    name: "ecr-immutable-tags",
    description: `ECR repositories have immutable tags, so a released tag always means the same image (AWS Security Hub ECR.2; Checkov CKV_AWS_51). The one exception allowed is the stack's own build tags (${BUILD_TAG_PREFIX}*), which the docker provider may push again and which nothing runs by: functions run images by digest (lambda-private-ecr-image).`,
    enforcementLevel: "mandatory",
    howToFix: `Set imageTagMutability to "IMMUTABLE", or "IMMUTABLE_WITH_EXCLUSION" excluding only "${BUILD_TAG_PREFIX}*" (ContainerImage does).`,
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.ecrRepository);
      if (!props || props.imageTagMutability === "IMMUTABLE") return;
      const filters: { filter?: string }[] = props.imageTagMutabilityExclusionFilters ?? [];
      if (props.imageTagMutability !== "IMMUTABLE_WITH_EXCLUSION")
        return report(`Tag mutability is ${props.imageTagMutability ?? "MUTABLE"}.`);
      const others = filters.map((filter) => filter.filter).filter((filter) => filter !== `${BUILD_TAG_PREFIX}*`);
      if (filters.length === 0 || others.length > 0)
        report(`Tags matching ${others.join(", ") || "nothing"} are mutable; only ${BUILD_TAG_PREFIX}* may be.`);
    },
  },
  {
    name: "ecr-lifecycle-policy",
    description: "Every ECR repository has a lifecycle policy, so old images expire (AWS Security Hub ECR.3).",
    enforcementLevel: "advisory",
    howToFix: "Add an aws.ecr.LifecyclePolicy for the repository (ContainerImage keeps the newest ecrKeepImages per architecture).",
    validateStack: (args, report) => {
      const covered = new Set(
        args.resources.filter((resource) => resource.type === TYPES.ecrLifecyclePolicy).map((policy) => policy.props.repository),
      );
      for (const repository of args.resources.filter((resource) => resource.type === TYPES.ecrRepository)) {
        if (!covered.has(repository.props.name))
          report(`Repository ${repository.props.name ?? repository.name} has no lifecycle policy.`, repository.urn);
      }
    },
  },
  {
    name: "ecr-no-public-policy",
    description: "No ECR repository policy grants access to everyone (Checkov CKV_AWS_32).",
    enforcementLevel: "mandatory",
    howToFix: 'Name the accounts or roles that may pull in Principal instead of "*", or add a Condition that limits them.',
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.ecrRepositoryPolicy);
      const open = statementsOf(props?.policy).filter(
        (statement) => statement.effect === "Allow" && statement.otherPrincipals.includes("*") && !statement.hasCondition,
      );
      if (open.length > 0) report('The repository policy allows Principal "*" without a condition.');
    },
  },
];

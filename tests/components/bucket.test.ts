import { strict as assert } from "node:assert";
import { Bucket } from "../../components/bucket";
import { evaluate } from "../mock-engine";
import { Registered } from "../registered";

describe("Bucket", () => {
  let registered: Registered;
  before(async () => {
    const { resources } = await evaluate(() => void new Bucket("data", { intermediateExpirationDays: 3 }));
    registered = new Registered(resources);
  });

  it("encrypts with KMS and Bucket Keys, blocks every kind of public access, turns ACLs off", () => {
    const encryption = registered.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "data");
    assert.deepEqual(encryption.inputs.rules, [
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true },
    ]);
    const block = registered.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "data").inputs;
    assert.deepEqual(
      [block.blockPublicAcls, block.blockPublicPolicy, block.ignorePublicAcls, block.restrictPublicBuckets],
      [true, true, true, true],
    );
    assert.equal(
      registered.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "data").inputs.rule.objectOwnership,
      "BucketOwnerEnforced",
    );
  });

  it("refuses plain HTTP, and expires the intermediate objects and incomplete uploads", () => {
    const [deny] = JSON.parse(registered.one("aws:s3/bucketPolicy:BucketPolicy", "data").inputs.policy).Statement;
    assert.deepEqual([deny.Effect, deny.Action, deny.Condition], ["Deny", "s3:*", { Bool: { "aws:SecureTransport": "false" } }]);
    const rules = registered.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "data").inputs.rules;
    assert.deepEqual(
      rules.map((rule: any) => [
        rule.id,
        rule.filter?.prefix,
        rule.expiration?.days,
        rule.abortIncompleteMultipartUpload?.daysAfterInitiation,
      ]),
      [
        ["expire-intermediate", "intermediate/", 3, undefined],
        ["abort-incomplete-uploads", undefined, undefined, 1],
      ],
    );
  });
});

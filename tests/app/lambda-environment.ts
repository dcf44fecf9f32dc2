import { join } from "node:path";

/**
 * What the handlers' INIT reads in Lambda: the settings Database.grantConnect gives, the migrations the
 * image holds, the token issuer and the WebSocket management endpoint index.ts sets. Nothing connects
 * at INIT, so the values only have to be well-formed. The metrics namespace is what lambda-environment.ts sets.
 */
export const LAMBDA_ENVIRONMENT = {
  AWS_REGION: "us-east-1",
  DB_HOST: "db-proxy.proxy-c0mock.us-east-1.rds.amazonaws.com",
  DB_PORT: "5432",
  DB_NAME: "app",
  DB_USER: "postgres",
  DB_IDLE_TIMEOUT_MS: "1620000",
  MIGRATIONS_DIR: join(__dirname, "..", "..", "app", "migrations"),
  JWT_ISSUER: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
  JWT_AUDIENCE: "client-id",
  JWT_SCOPE: "aws.cognito.signin.user.admin",
  WEBSOCKET_MANAGEMENT_ENDPOINT: "https://ws-id.execute-api.us-east-1.amazonaws.com/live",
  POWERTOOLS_METRICS_NAMESPACE: "graviton-platform/test",
};

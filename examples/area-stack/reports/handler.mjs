// An area's function: it runs in the platform stack's VPC with its database grant (DB_* in its environment,
// rds-db:connect as the app user), so it can use app/data's pool as the platform's own functions do.
export const handler = async () => ({
  area: "reports",
  database: { host: process.env.DB_HOST, name: process.env.DB_NAME, user: process.env.DB_USER },
});

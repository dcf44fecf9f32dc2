/** The account and region of everything the local platform names in an ARN or URL, as if deployed there. */
export const LOCAL_AWS = { account: "000000000000", region: "us-east-1" } as const;

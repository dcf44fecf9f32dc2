import { randomBytes } from "node:crypto";

/** An access key and its secret, as Lambda puts a role's credentials in a function's environment. */
export interface LocalKey {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * The keys the local platform gives out at this start: one per function (its role's stand-in) and any
 * more it makes (the operator's). The local AWS APIs serve only requests signed with one of them, and
 * know from the key which function calls, to hold it to that function's policy. New at every start;
 * nothing reaches AWS.
 */
export class LocalKeys {
  private readonly secrets = new Map<string, string>();
  private readonly owners = new Map<string, string>();

  /** A new key, of no function. */
  create(): LocalKey {
    const key = { accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`, secretAccessKey: randomBytes(30).toString("base64") };
    this.secrets.set(key.accessKeyId, key.secretAccessKey);
    return key;
  }

  /** The function's key, made the first time it is asked for. */
  of(functionName: string): LocalKey {
    const known = [...this.owners].find(([, owner]) => owner === functionName)?.[0];
    if (known) return { accessKeyId: known, secretAccessKey: this.secrets.get(known)! };
    const key = this.create();
    this.owners.set(key.accessKeyId, functionName);
    return key;
  }

  /** The secret of a key this platform gave out, or undefined. */
  secretOf = (accessKeyId: string): string | undefined => this.secrets.get(accessKeyId);

  /** The function whose key it is; undefined for an unknown key or one of no function. */
  ownerOf = (accessKeyId: string | undefined): string | undefined => this.owners.get(accessKeyId ?? "");
}

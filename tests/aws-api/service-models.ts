import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

/**
 * AWS's own API models, as botocore ships them (`botocore/data/<service>/<version>/service-2.json[.gz]`):
 * every operation's input shapes with their lengths, ranges, patterns, enums and required members. The
 * AWS SDK for JavaScript v3 does not carry these constraints; botocore does. On these machines it is
 * Python's `botocore` package (Debian: `python3-botocore`, which `.ci/run` installs when it is missing).
 */

export interface Shape {
  type: string;
  members?: Record<string, { shape: string; locationName?: string }>;
  required?: string[];
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
}

export interface ServiceModel {
  metadata: { apiVersion: string; serviceId: string };
  operations: Record<string, { input?: { shape: string } }>;
  shapes: Record<string, Shape>;
}

const PYTHONS = ["python3", "/usr/bin/python3"];

/** botocore's data folder: of every Python here that imports botocore, the newest botocore's (the newest models). */
function findDataDir(): string | undefined {
  const found = PYTHONS.flatMap((python) => {
    try {
      const [version, dir] = execFileSync(
        python,
        ["-c", "import botocore, os; print(botocore.__version__); print(os.path.join(os.path.dirname(botocore.__file__), 'data'))"],
        { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 20_000 },
      )
        .trim()
        .split("\n");
      return existsSync(dir) ? [{ version: version.split(".").map(Number), dir }] : [];
    } catch {
      return []; // not this Python
    }
  });
  const newer = (a: number[], b: number[]) => a.findIndex((part, index) => part !== b[index]);
  found.sort((a, b) => {
    const index = newer(a.version, b.version);
    return index < 0 ? 0 : b.version[index] - a.version[index];
  });
  return found[0]?.dir;
}

let dataDir: string | undefined | null = null;

/** Where botocore's models are, or undefined (with the reason in `MODELS_MISSING`). */
export function modelsDir(): string | undefined {
  if (dataDir === null) dataDir = findDataDir();
  return dataDir;
}

export const MODELS_MISSING =
  "AWS's API models (Python's botocore) are not on this machine: apt-get install python3-botocore (or pip install botocore)";

const loaded = new Map<string, ServiceModel>();

/** The newest API version of a service's model (`lambda`, `apigatewayv2`, `cognito-idp`, ...). */
export function serviceModel(service: string): ServiceModel {
  const cached = loaded.get(service);
  if (cached) return cached;
  const dir = modelsDir();
  if (!dir) throw new Error(MODELS_MISSING);
  const versions = readdirSync(join(dir, service)).sort();
  const folder = join(dir, service, versions[versions.length - 1]);
  const file = ["service-2.json.gz", "service-2.json"].map((name) => join(folder, name)).find(existsSync);
  if (!file) throw new Error(`botocore has no service-2 model for ${service} in ${folder}`);
  const bytes = readFileSync(file);
  const model = JSON.parse((file.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8")) as ServiceModel;
  loaded.set(service, model);
  return model;
}

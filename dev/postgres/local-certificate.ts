import "reflect-metadata"; // @peculiar/x509's dependency injection needs it loaded first
import * as x509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A certificate and its key, as PEM files. */
export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

/** How long the local certificate is valid; a new one is made when less than a day is left. */
const VALIDITY_DAYS = 397;

/**
 * A self-signed certificate for 127.0.0.1 (an IP subject alternative name, as Node checks it), made
 * once in `dir` and kept. The local database serves it, and the functions trust it through
 * NODE_EXTRA_CA_CERTS, so they verify the database's certificate exactly as they verify RDS Proxy's.
 */
export async function localCertificate(dir: string): Promise<CertificateFiles> {
  const files = { certFile: join(dir, "localhost.crt"), keyFile: join(dir, "localhost.key") };
  if (existsSync(files.certFile) && existsSync(files.keyFile)) {
    const { notAfter } = new x509.X509Certificate(readFileSync(files.certFile, "utf8"));
    if (notAfter.getTime() - Date.now() > 86_400_000) return files;
  }
  // Node's WebCrypto is the standard Crypto object; this project compiles without the DOM types that name it.
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: webcrypto.getRandomValues(new Uint8Array(8)).reduce((hex, byte) => hex + byte.toString(16).padStart(2, "0"), "7f"),
    name: "CN=graviton-platform local",
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + VALIDITY_DAYS * 86_400_000),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: "ip", value: "127.0.0.1" }]),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
  mkdirSync(dir, { recursive: true });
  const key = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  writeFileSync(files.keyFile, x509.PemConverter.encode(key, "PRIVATE KEY"), { mode: 0o600 });
  writeFileSync(files.certFile, certificate.toString("pem"));
  return files;
}

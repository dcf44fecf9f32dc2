import { strict as assert } from "node:assert";
import { RegisteredResource } from "./mock-engine";

/** Looks up what a program registered, by Pulumi type token (and logical name). */
export class Registered {
  constructor(readonly resources: RegisteredResource[]) {}

  all(type: string): RegisteredResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  one(type: string, name: string): RegisteredResource {
    const found = this.resources.filter((resource) => resource.type === type && resource.name === name);
    assert.equal(found.length, 1, `expected one ${type} named ${name}, found ${found.length}`);
    return found[0];
  }
}

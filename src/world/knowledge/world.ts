/**
 * The encyclopedia's world: entities with invented names and one value per attribute,
 * a pure function of the seed, so documents and questions always agree.
 */
import { createRng, fnv1a } from "../../random/index.js";
import { COLOURS, FOODS, JOBS, SYLLABLES, TOWNS } from "./catalogue.js";

export const ATTRIBUTES = ["town", "colour", "job", "food", "friend"] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

export interface Entity {
  name: string;
  facts: Record<Attribute, string>;
}

export interface World {
  entities: Entity[];
  /** Each attribute's options, for likelihood ranking (friend: every entity name). */
  options: Record<Attribute, string[]>;
}

export function buildWorld(seed: number, nEntities: number): World {
  const rng = createRng(fnv1a(`knowledge/world/${seed}`));
  const taken = new Set<string>([...TOWNS, ...COLOURS, ...JOBS, ...FOODS]);
  const names: string[] = [];
  while (names.length < nEntities) {
    const k = 2 + rng.int(2);
    let name = "";
    for (let i = 0; i < k; i++) name += SYLLABLES[rng.int(SYLLABLES.length)];
    name = name[0].toUpperCase() + name.slice(1);
    if (taken.has(name)) continue;
    taken.add(name);
    names.push(name);
  }
  const pick = (list: readonly string[]): string => list[rng.int(list.length)];
  const entities = names.map((name, i) => {
    // The friend is any other entity (never oneself); friendship need not be mutual.
    const friend = names[(i + 1 + rng.int(names.length - 1)) % names.length];
    return { name, facts: { town: pick(TOWNS), colour: pick(COLOURS), job: pick(JOBS), food: pick(FOODS), friend } };
  });
  return { entities, options: { town: TOWNS, colour: COLOURS, job: JOBS, food: FOODS, friend: names } };
}

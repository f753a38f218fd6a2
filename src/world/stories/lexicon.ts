/**
 * The story world's words. Every entry is lower-case printable ASCII without a period
 * (sentences are split on periods). Out-of-distribution names never occur in
 * pre-training documents.
 */

export type Gender = "f" | "m";

export const NAMES: readonly (readonly [string, Gender])[] = [
  ["Mia", "f"], ["Tom", "m"], ["Ada", "f"], ["Ben", "m"], ["Lily", "f"], ["Sam", "m"], ["Rose", "f"],
  ["Max", "m"], ["Ivy", "f"], ["Leo", "m"], ["Zoe", "f"], ["Jack", "m"], ["Nora", "f"], ["Finn", "m"],
  ["Ella", "f"], ["Owen", "m"], ["Ruby", "f"], ["Theo", "m"], ["Anna", "f"], ["Hugo", "m"],
];

export const OOD_NAMES: readonly (readonly [string, Gender])[] = [
  ["Wren", "f"], ["Otto", "m"], ["Cleo", "f"], ["Axel", "m"], ["Maya", "f"],
  ["Ivan", "m"], ["Gwen", "f"], ["Rex", "m"], ["Tess", "f"], ["Colm", "m"],
];

export const GENDER: ReadonlyMap<string, Gender> = new Map([...NAMES, ...OOD_NAMES]);

export const ANIMALS = ["cat", "dog", "fox", "hen", "pig", "bear", "frog", "duck", "goat", "mouse", "rabbit", "deer", "wolf", "lamb"];
export const PLACES = ["lake", "wood", "farm", "hill", "barn", "river", "town", "beach", "cave", "field", "garden", "pond", "park", "mill"];
export const COLORS = ["red", "blue", "green", "gold", "pink", "grey", "black", "white", "brown", "tan"];
export const OBJECTS = ["hat", "kite", "ball", "key", "boot", "bell", "cup", "drum", "scarf", "book", "map", "ring", "sock", "coat"];
export const FOODS = ["cake", "pie", "honey", "apples", "bread", "soup", "corn", "jam", "plums", "nuts", "milk", "pears"];
export const HELPERS = [
  "an owl", "a crow", "an old toad", "a kind bee", "a wise crab", "a little ant", "a tall crane", "a grey seal", "a young bat", "an old mole",
];
export const SPOTS = [
  "under a log", "in the reeds", "behind a rock", "in a tree", "by the gate", "under a bush", "in the mud", "near a well", "on a roof",
  "in a box", "by a fence", "under a leaf",
];
export const TIMES = ["One day", "One cold day", "Last spring", "One night", "At dawn"];
export const FEELINGS = ["glad", "happy", "proud", "thankful"];

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export interface Pronouns {
  He: string;
  he: string;
  his: string;
  him: string;
}

export function pronouns(g: Gender): Pronouns {
  return g === "f" ? { He: "She", he: "she", his: "her", him: "her" } : { He: "He", he: "he", his: "his", him: "him" };
}

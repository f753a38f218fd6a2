/**
 * The fixed option lists of the encyclopedia's attributes and the syllables entity names
 * are made of. Lab rule 3 of docs/ZOO.md (50–150 entities, each fact seen 300+ times) and
 * the feasibility study's 20/20/100-option attributes set the sizes: 20 towns, 20 colours, 30 jobs, 20 foods, and
 * the friend relation (options = the entity names). All printable ASCII (tokenizer.ts).
 * NOTE: every job starts with a consonant sound, so templates can write "a {job}".
 */

export const TOWNS = [
  "Tosk", "Varnholm", "Ebrin", "Calderra", "Mirewick", "Dunhallow", "Pellan", "Quorra", "Sablemoor", "Thistleby",
  "Umberfell", "Ravenmere", "Oakhollow", "Brindle", "Lanthorn", "Greyhaven", "Kestrel Bay", "Fernmouth", "Ashcombe", "Highmoor",
];

export const COLOURS = [
  "red", "blue", "green", "yellow", "orange", "purple", "pink", "brown", "black", "white",
  "grey", "gold", "silver", "teal", "violet", "crimson", "amber", "ivory", "indigo", "maroon",
];

export const JOBS = [
  "baker", "potter", "tailor", "farmer", "fisher", "miner", "weaver", "carpenter", "mason", "roofer",
  "cook", "sailor", "hunter", "painter", "singer", "dancer", "doctor", "nurse", "teacher", "banker",
  "lawyer", "judge", "poet", "gardener", "shepherd", "brewer", "butcher", "cobbler", "jeweller", "locksmith",
];

export const FOODS = [
  "rye bread", "cheese", "soup", "rice", "noodles", "dumplings", "apples", "pears", "plums", "honey",
  "porridge", "pancakes", "olives", "beans", "carrots", "turnips", "mushrooms", "fish stew", "lentils", "figs",
];

/** Names are 2–3 of these, the first letter capitalised ("Ko" + "ri" + "an" → "Korian"). */
export const SYLLABLES = [
  "ba", "be", "bo", "da", "di", "do", "ka", "ke", "ko", "la", "li", "lo", "ma", "mi", "mo", "na", "ne", "no", "ra", "ri",
  "ro", "sa", "si", "so", "ta", "ti", "to", "va", "vi", "vo", "za", "zo", "el", "an", "or", "ul", "ith", "ar", "en", "un",
];

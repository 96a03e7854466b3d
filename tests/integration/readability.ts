/**
 * How hard a text is to read, by the Flesch–Kincaid grade: 0.39 × words per sentence + 11.8 ×
 * syllables per word − 15.59. A US school grade; the reading age is the grade + 5 (grade 5 is a
 * reading age of 10). Syllables are counted by vowel groups with English's common silent endings,
 * which is close enough for short, plain copy. Each piece of text given is at least one sentence:
 * a button, a label or a heading ends where its element ends, even without a full stop.
 */

const WORD = /[A-Za-z][A-Za-z'’-]*/g;
/** Links and addresses are not read as words. */
const NOT_WORDS = /\S+@\S+|\bhttps?:\/\/\S+|\[[^\]]*\]/g;

/** The words of a sentence, leaving out links, email addresses and figures. */
export function wordsIn(text: string): string[] {
  return text.replace(NOT_WORDS, " ").match(WORD) ?? [];
}

/** Syllables in one word, by vowel groups (at least one). */
export function syllables(word: string): number {
  let w = word
    .toLowerCase()
    .replace(/[’']s?$/, "")
    .replace(/[^a-z]/g, "");
  if (w.length === 0) return 0;
  if (w.length <= 3) return 1;
  // A silent final "e" ("there", "share"), but not "-le" after a consonant ("little", "table").
  if (/[^aeiouy]e$/.test(w) && !/[^aeiouy]le$/.test(w)) w = w.slice(0, -1);
  // "-ed" after anything but t or d is not a syllable of its own ("asked", "joined").
  if (/[^td]ed$/.test(w)) w = w.slice(0, -2);
  // "-es" after anything but s, x, z, ch, sh, ce, ge is not one either ("takes", "times").
  if (/[^sxzhcg]es$/.test(w)) w = w.slice(0, -2);
  const groups = w.match(/[aeiouy]+/g)?.length ?? 0;
  return Math.max(1, groups);
}

/** The sentences in some pieces of text: each piece ends one, and so do . ! ? inside it. */
export function sentences(pieces: readonly string[]): string[] {
  return pieces
    .flatMap((piece) => piece.split(/(?<=[.!?])\s+/))
    .map((sentence) => sentence.trim())
    .filter((sentence) => wordsIn(sentence).length > 0);
}

export type Readability = {
  sentences: number;
  words: number;
  syllables: number;
  wordsPerSentence: number;
  syllablesPerWord: number;
  grade: number;
  readingAge: number;
};

export function readability(pieces: readonly string[]): Readability {
  const all = sentences(pieces);
  const words = all.flatMap(wordsIn);
  const count = words.reduce((sum, word) => sum + syllables(word), 0);
  const wordsPerSentence = words.length / Math.max(1, all.length);
  const syllablesPerWord = count / Math.max(1, words.length);
  const grade = 0.39 * wordsPerSentence + 11.8 * syllablesPerWord - 15.59;
  return {
    sentences: all.length,
    words: words.length,
    syllables: count,
    wordsPerSentence,
    syllablesPerWord,
    grade,
    readingAge: grade + 5,
  };
}

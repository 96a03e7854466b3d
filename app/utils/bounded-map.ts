/**
 * A Map that keeps at most `max` entries: setting a new key when full drops the oldest one. For
 * in-process caches of answers that never change for their key (rendered Markdown, a form's
 * schema, a checked cookie), so memory stays bounded whatever comes in.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly #max: number;

  constructor(max: number) {
    super();
    this.#max = max;
  }

  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.#max) this.delete(this.keys().next().value!);
    return super.set(key, value);
  }
}

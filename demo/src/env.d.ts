/// <reference types="vite/client" />

declare module 'virtual:bertweb-embedded' {
  /** The embedded default model (demo/vite-plugins.ts). */
  const embedded: {
    /** Folder under models/, e.g. `ner-ru-tiny` (or the fixture stand-in). */
    readonly folder: string;
    /** Served path, e.g. `/models/ner-ru-tiny/`. */
    readonly path: string;
    /** True while a random-weight test fixture stands in for the trained model. */
    readonly placeholder: boolean;
    readonly files: readonly string[];
    /** model-card.json of the folder, when present. */
    readonly card: unknown;
  };
  export default embedded;
}

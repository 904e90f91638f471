/** The espeak-ng npm package ships no types: the part of its Emscripten module used here. */
declare module 'espeak-ng' {
  interface ESpeakModule {
    FS: { readFile(path: string): Uint8Array };
  }
  export default function ESpeakNg(options: { arguments: string[] }): Promise<ESpeakModule>;
}

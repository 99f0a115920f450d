/** `import source from './x?worker-source'`: the script of ./x.ts bundled on its own, as text (esbuild.js workerSourcePlugin). */
declare module '*?worker-source' {
  const source: string;
  export default source;
}

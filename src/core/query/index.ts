/** Find versions: the query language (parse.ts) and the matcher over loaded histories (find.ts). */
export * from './parse';
export { buildFindIndex, findVersions, trailerMetricValues, findVocabulary, listNames, type FindIndex, type FindMatch, type FindOptions, type FindVocabulary } from './find';

/**
 * Model evaluation metrics and statistics (pure TypeScript, no dependencies, no vscode):
 * classification (accuracy, precision/recall/F1 per class + macro/micro/weighted, confusion matrix,
 * log-loss, ROC-AUC, ROC curve), regression (MSE, RMSE, MAE, R²), cross-validation of an already
 * trained model by stratified resampling of its evaluation set, and paired A/B comparison (McNemar,
 * paired bootstrap, verdict). See each module's header for the exact definitions.
 */
export * from './types';
export * from './classification';
export * from './regression';
export * from './crossValidation';
export * from './compare';
export * from './multiple';
export { DEFAULT_SEED, mulberry32, randomInt, shuffleInPlace, type Random } from './rng';
export {
  binomialCdf,
  binomialTestTwoSidedHalf,
  chiSquare1Survival,
  chiSquareSurvival,
  erf,
  erfc,
  gammaP,
  gammaQ,
  lnGamma,
  normalCdf,
  normalQuantile,
  regularizedBeta,
  studentTCdf,
  studentTQuantile,
} from './special';

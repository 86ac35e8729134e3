/**
 * Macro-F1 (scikit-learn's f1_score(average='macro')): the unweighted mean over classes of
 * F1 = 2·TP / (2·TP + FP + FN); a class with no true and no predicted items scores 0 (sklearn's
 * zero_division=0). Classes are the labels given (every label of the task, seen or not).
 */
export function macroF1(pred: readonly number[], gold: readonly number[], numClasses: number, idx?: ArrayLike<number>): number {
  const tp = new Array<number>(numClasses).fill(0), fp = [...tp], fn = [...tp]
  const n = idx ? idx.length : pred.length
  for (let k = 0; k < n; k++) {
    const i = idx ? idx[k]! : k
    if (pred[i] === gold[i]) tp[gold[i]!]!++
    else { fp[pred[i]!]!++; fn[gold[i]!]!++ }
  }
  let sum = 0
  for (let c = 0; c < numClasses; c++) { const d = 2 * tp[c]! + fp[c]! + fn[c]!; sum += d === 0 ? 0 : (2 * tp[c]!) / d }
  return sum / numClasses
}

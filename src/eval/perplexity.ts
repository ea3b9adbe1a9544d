// Perplexity and bits from per-token negative log-likelihoods in nats (what cross-entropy
// returns): perplexity = exp(mean NLL), the inverse geometric mean of the probabilities the model
// gave the true tokens (Jelinek et al. 1977; Jurafsky & Martin, "Speech and Language Processing",
// ch. 3). A uniform model over V tokens has NLL ln V per token, hence perplexity V. Bits per
// token = mean NLL / ln 2; bits per character = total NLL / (ln 2 · characters), the unit used
// for character-level and byte-level models, comparable across tokenizers.
import { InputError } from '../util/errors';

/** Mean NLL in nats, after checking the values: not empty, finite, not negative. */
export function meanNll(nll: ArrayLike<number>, metric = 'perplexity'): number {
  if (nll.length === 0) throw new InputError(`${metric}: no token NLLs (0 values)`);
  let sum = 0;
  for (let i = 0; i < nll.length; i++) {
    const v = nll[i]!;
    if (!Number.isFinite(v))
      throw new InputError(`${metric}: NLL ${i} of ${nll.length} is ${v} (every value must be finite)`);
    // −log p < 0 would mean p > 1: a caller passing log-probabilities instead of their negatives.
    if (v < 0)
      throw new InputError(`${metric}: NLL ${i} of ${nll.length} is ${v} < 0 (pass −log p in nats, not log p)`);
    sum += v;
  }
  return sum / nll.length;
}

/** exp(mean NLL). */
export function perplexity(nll: ArrayLike<number>): number {
  return Math.exp(meanNll(nll, 'perplexity'));
}

/** Mean NLL in bits: log2 of the perplexity. */
export function bitsPerToken(nll: ArrayLike<number>): number {
  return meanNll(nll, 'bits per token') / Math.LN2;
}

/** Total NLL in bits divided by the number of characters the tokens spell. */
export function bitsPerChar(nll: ArrayLike<number>, chars: number): number {
  if (!(Number.isInteger(chars) && chars > 0))
    throw new InputError(`bits per char: character count must be a positive integer, got ${chars}`);
  return (meanNll(nll, 'bits per char') * nll.length) / (Math.LN2 * chars);
}

/** Perplexity from a mean NLL in nats (e.g. a reported validation loss). */
export function perplexityFromLoss(loss: number): number {
  if (!(Number.isFinite(loss) && loss >= 0))
    throw new InputError(`perplexity: loss must be a finite number ≥ 0 nats, got ${loss}`);
  return Math.exp(loss);
}

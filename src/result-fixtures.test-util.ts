/**
 * Complete result records for tests that care about a few entries: the contract's expression and attribute records
 * hold every label (closed key types), so a fixture names the ones it tests and the rest are 0.
 */
import {
  CELEBA_ATTRIBUTES,
  EXPRESSION_LABELS,
  type AttributeName,
  type ExpressionLabel,
} from './core/faceptor/tasks.ts';

export const expressionProbs = (some: Partial<Record<ExpressionLabel, number>>): Record<ExpressionLabel, number> => ({
  ...(Object.fromEntries(EXPRESSION_LABELS.map((l) => [l, 0])) as Record<ExpressionLabel, number>),
  ...some,
});

export const attributeProbs = (some: Partial<Record<AttributeName, number>>): Record<AttributeName, number> => ({
  ...(Object.fromEntries(CELEBA_ATTRIBUTES.map((l) => [l, 0])) as Record<AttributeName, number>),
  ...some,
});

// Lint rules (`npm run lint`): typescript-eslint's recommended set, without type information so the whole tree lints
// in seconds. Formatting is prettier's job (.prettierrc.json), checked by the same script.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-lib/', 'node_modules/', 'public/', 'coverage/', 'test-results/'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { console: 'readonly', process: 'readonly' } },
    rules: {
      // `_`-prefixed names are deliberately unused (callback positions, destructuring to drop a field).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // TypeScript already reports undefined names (and knows DOM, worker and Node globals); this rule does not.
      'no-undef': 'off',
    },
  },
);

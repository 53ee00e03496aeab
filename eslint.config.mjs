import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['**/node_modules', '**/dist', '**/tmp', '**/.nx', '**/.data', '**/coverage'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'error',
      // Layering of docs/development.md §1: apps use anything; domain uses utils and adapter ports;
      // adapters and utils use utils only; testing code is for tests alone.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          depConstraints: [
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:role',
                'type:runtime',
                'type:domain',
                'type:adapter',
                'type:util',
              ],
            },
            {
              sourceTag: 'type:role',
              onlyDependOnLibsWithTags: [
                'type:runtime',
                'type:domain',
                'type:adapter',
                'type:util',
              ],
            },
            { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:adapter', 'type:util'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:util', 'type:adapter'] },
            { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            {
              sourceTag: 'type:testing',
              onlyDependOnLibsWithTags: ['type:util', 'type:adapter', 'type:testing'],
            },
          ],
        },
      ],
    },
  },
  {
    // The domain depends on ports, not on adapters: from an adapter lib it imports the port
    // interfaces and record types only (type-only imports); the roles inject the instances
    // (docs/development.md §1).
    files: ['libs/domain/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/testing/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            '@chat/db',
            '@chat/bus',
            '@chat/cache',
            '@chat/jobs',
            '@chat/mail',
            '@chat/storage',
          ].map((name) => ({
            name,
            allowTypeImports: true,
            message: 'the domain imports port types only from adapter libs (import type …)',
          })),
        },
      ],
    },
  },
  {
    // Tests may use the harness and test factories of any lib.
    files: ['**/*.spec.ts', '**/testing/**/*.ts', 'test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': 'off',
      // Tests read replies and frames of every shape as plain JSON, as a client does.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

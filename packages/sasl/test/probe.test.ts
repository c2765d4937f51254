import { expect, test } from 'vitest';
import { probe } from '@sysmail/sasl';
test('probe', () => { expect(probe).toBe(1); });

import { globalTeardown } from '../../src/testing';

export default () => globalTeardown();

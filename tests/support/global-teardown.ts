import { globalTeardown } from 'zero-downtime-toolkit/testing';

export default () => globalTeardown();

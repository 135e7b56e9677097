import type { Express } from 'express';
import { usersRouter } from './users';

/** Every resource of the API; `npm run generate -- resource` adds new ones here. */
export function registerRoutes(app: Express): void {
  app.use('/users', usersRouter());
}

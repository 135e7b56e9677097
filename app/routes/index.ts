import type { Express } from 'express';
import { mountResource, type ApiResource, type RouterOptions } from '../http/routes';
import { usersResource } from './users';

/** Every resource of the API; `npm run generate -- resource` adds new ones here. */
export const resources: ApiResource[] = [usersResource];

/**
 * Mounts each resource's routes on the app (`/users`, `/users/:id`). The rehearsal
 * (zeroDowntime.routes) calls it too, with a stand-in app, to find the resources and their
 * operations.
 */
export function registerRoutes(app: Express, options: RouterOptions = {}): void {
  for (const resource of resources) mountResource(app, resource, options);
}

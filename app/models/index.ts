import type { Sequelize } from 'sequelize';
import { User } from './user';

/** Every model of the app; `npm run generate -- resource` adds new ones here. */
export const models = [User];

export function initModels(sequelize: Sequelize): void {
  for (const model of models) model.initialize(sequelize);
}

export { User };

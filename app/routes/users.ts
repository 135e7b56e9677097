import { z } from 'zod';
import { ApiError } from '../http/api-error';
import { findPage, idParams, pageOf, pageQuery } from '../http/pagination';
import { defineRoute, type ApiResource } from '../http/routes';
import { User } from '../models';

const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ error: 'must be an email address' }));
const name = z.string().trim().min(1, { error: 'must not be empty' }).max(200);

const createBody = z.object({ email, name }).strict();
const updateBody = z
  .object({ email: email.optional(), name: name.optional() })
  .strict()
  .refine((body) => Object.keys(body).length > 0, {
    error: 'must give at least one of email, name',
  });

/** A user as the API answers it. */
const userRecord = z.object({
  id: z.string().meta({ description: 'A bigint, as a string to stay exact', example: '1' }),
  email: z.email(),
  name: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

const notFound = { 404: 'No user with this id (NOT_FOUND).' };

export const usersResource: ApiResource = {
  path: '/users',
  tag: 'users',
  routes: [
    defineRoute({
      method: 'post',
      path: '/',
      summary: 'Create a user',
      body: createBody,
      responses: { 201: { description: 'Created; Location points at it', schema: userRecord } },
      errors: { 409: 'The email is taken (CONFLICT).' },
      handle: async ({ body }, _req, res) => {
        const user = await User.create(body);
        res.status(201).location(`/users/${user.id}`).json(user);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/',
      summary: 'List users, a page at a time',
      query: pageQuery,
      responses: { 200: { description: 'A page of users', schema: pageOf(userRecord) } },
      handle: async ({ query }, _req, res) => {
        res.json(await findPage(User, query));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/:id',
      summary: 'Read a user',
      params: idParams,
      responses: { 200: { description: 'The user', schema: userRecord } },
      errors: notFound,
      handle: async ({ params }, _req, res) => {
        res.json(await findUser(params.id));
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/:id',
      summary: 'Change some fields of a user',
      params: idParams,
      body: updateBody,
      responses: { 200: { description: 'The changed user', schema: userRecord } },
      errors: { ...notFound, 409: 'The new email is taken (CONFLICT).' },
      handle: async ({ params, body }, _req, res) => {
        const user = await findUser(params.id);
        await user.update(body);
        res.json(user);
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/:id',
      summary: 'Delete a user',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
      errors: notFound,
      handle: async ({ params }, _req, res) => {
        const user = await findUser(params.id);
        await user.destroy();
        res.status(204).end();
      },
    }),
  ],
};

async function findUser(id: string): Promise<User> {
  const user = await User.findByPk(id);
  if (!user) throw ApiError.notFound(`No user with id ${id}.`);
  return user;
}

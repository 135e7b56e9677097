import { Router } from 'express';
import { Op } from 'sequelize';
import { z } from 'zod';
import { ApiError } from '../http/api-error';
import { decodeCursor, encodeCursor, idParams, pageQuery } from '../http/pagination';
import { validate } from '../http/validate';
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
  .refine((body) => Object.keys(body).length > 0, { error: 'give at least one of email, name' });

export function usersRouter(): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const user = await User.create(validate(createBody, req.body, 'body'));
    res.status(201).location(`${req.baseUrl}/${user.id}`).json(user);
  });

  router.get('/', async (req, res) => {
    const { limit, cursor } = validate(pageQuery, req.query, 'query');
    const users = await User.findAll({
      where: cursor ? { id: { [Op.gt]: decodeCursor(cursor) } } : {},
      order: [['id', 'ASC']],
      limit: limit + 1,
    });
    const page = users.slice(0, limit);
    const nextCursor = users.length > limit ? encodeCursor(page[page.length - 1].id) : null;
    res.json({ data: page, nextCursor });
  });

  router.get('/:id', async (req, res) => {
    res.json(await findUser(req.params));
  });

  router.patch('/:id', async (req, res) => {
    const user = await findUser(req.params);
    await user.update(validate(updateBody, req.body, 'body'));
    res.json(user);
  });

  router.delete('/:id', async (req, res) => {
    const user = await findUser(req.params);
    await user.destroy();
    res.status(204).end();
  });

  return router;
}

async function findUser(params: unknown): Promise<User> {
  const { id } = validate(idParams, params, 'params');
  const user = await User.findByPk(id);
  if (!user) throw ApiError.notFound(`No user with id ${id}.`);
  return user;
}

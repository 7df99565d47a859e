// Dumps seeded Russian names, places and companies from @faker-js/faker (locale ru) as JSON on stdout.
// ner_augment.py turns them into tagged sentences for the embedded NER model's training data.
//
// Usage: node models/scripts/faker_ru.mjs [N] > models/ner-ru-tiny/data/faker-ru.json
// The same N and @faker-js/faker version give the same output (faker.seed(42)).
import { readFile } from 'node:fs/promises';
import { fakerRU as faker } from '@faker-js/faker';

const n = Number.parseInt(process.argv[2] ?? '600', 10);
if (!Number.isInteger(n) || n <= 0) {
  process.stderr.write(`faker_ru.mjs: N must be a positive integer, got ${process.argv[2]}\n`);
  process.exit(2);
}

faker.seed(42);
const times = (make) => Array.from({ length: n }, make);

const persons = times(() => {
  const sex = faker.helpers.arrayElement(['male', 'female']);
  return {
    sex,
    first: faker.person.firstName(sex),
    middle: faker.person.middleName(sex),
    last: faker.person.lastName(sex),
  };
});
const cities = times(() => faker.location.city());
const countries = times(() => faker.location.country());
const regions = times(() => faker.location.state());
const companies = times(() => faker.company.name());

const fakerPackage = new URL(import.meta.resolve('@faker-js/faker/package.json'));
const { version } = JSON.parse(await readFile(fakerPackage, 'utf8'));

process.stdout.write(
  `${JSON.stringify({ source: `@faker-js/faker ${version} (ru, seed 42)`, persons, cities, countries, regions, companies })}\n`,
);

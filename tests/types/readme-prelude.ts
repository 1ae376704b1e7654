// The models the README's examples use, so each example can be type-checked as written
// (scripts/check-readme.mjs). Nothing runs it.
import * as orm from "../../lib/index.js";

export const database = new orm.Database("sqlite::memory:");

export const Customer = orm.Model.define("Customer", { name: orm.String(), balance: orm.Integer({ default: 0 }) }, { database });
export const Order = orm.Model.define("Order", { customer: orm.ForeignKey(Customer, { allowNull: true }), total: orm.Integer() }, { database });

export const Author = orm.Model.define("Author", { name: orm.String(), threshold: orm.Integer({ default: 0 }) }, { database });
export const Post = orm.Model.define(
  "Post",
  {
    title: orm.String(),
    author: orm.ForeignKey(Author, { relatedName: "posts" }),
    editor: orm.ForeignKey(Author, { relatedName: "edited", allowNull: true }),
    views: orm.Integer({ default: 0 }),
    likes: orm.Integer({ default: 0 }),
    published: orm.DateTime({ allowNull: true }),
  },
  { database },
);

export const Genre = orm.Model.define("Genre", { name: orm.String() }, { database });
export class Album extends orm.Model.define("Album", { title: orm.String() }, { database }) {
  declare static objects: orm.Manager<Album>;
  declare tracks: orm.RelatedManager<orm.Infer<typeof Track>>;
}
export const Track = orm.Model.define(
  "Track",
  {
    title: orm.String(),
    album: orm.ForeignKey(Album),
    genre: orm.ForeignKey(Genre, { allowNull: true }),
    unitPrice: orm.Decimal({ maxDigits: 6, decimalPlaces: 2 }),
    lyrics: orm.Text({ default: "" }),
  },
  { database },
);

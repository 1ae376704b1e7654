import {
  BigIntegerField,
  BooleanField,
  DateField,
  DateTimeField,
  DecimalField,
  emailField,
  EnumField,
  FloatField,
  ipAddressField,
  IntegerField,
  JSONField,
  StringField,
  TextField,
  TimeField,
  urlField,
  UUIDField,
  type DateTimeOptions,
  type DecimalOptions,
  type Field,
  type FieldOptions,
  type JsonValue,
  type NumberOptions,
  type StringOptions,
} from "./fields.js";

// The public field constructors. Each returns its field class, typed by the options it was given:
// `allowNull: true` adds null to the value, a default (or an auto key) makes it optional in create().

type IsTrue<V> = V extends true ? true : false;
type Optional<O, AutoKey extends boolean> = O extends { allowNull: true } | { default: unknown } | { autoNow: true } | { autoNowAdd: true }
  ? true
  : AutoKey extends true
    ? IsTrue<O extends { primaryKey: true } ? true : false>
    : false;
export type Typed<Base, T, O, AutoKey extends boolean = false> = Base &
  Field<T, IsTrue<O extends { allowNull: true } ? true : false>, Optional<O, AutoKey>, IsTrue<O extends { primaryKey: true } ? true : false>>;

export function Integer<const O extends NumberOptions<number> = {}>(options?: O): Typed<IntegerField, number, O, true> {
  return new IntegerField(options) as Typed<IntegerField, number, O, true>;
}

export function BigInteger<const O extends NumberOptions<bigint> = {}>(options?: O): Typed<BigIntegerField, bigint, O, true> {
  return new BigIntegerField(options) as Typed<BigIntegerField, bigint, O, true>;
}

export function Float<const O extends NumberOptions<number> = {}>(options?: O): Typed<FloatField, number, O> {
  return new FloatField(options) as Typed<FloatField, number, O>;
}

export function Decimal<const O extends DecimalOptions>(options: O): Typed<DecimalField, string, O> {
  if (!Number.isInteger(options?.maxDigits) || !Number.isInteger(options?.decimalPlaces) || options.decimalPlaces > options.maxDigits) {
    throw new TypeError("Decimal() needs whole numbers { maxDigits, decimalPlaces } with decimalPlaces <= maxDigits");
  }
  return new DecimalField(options) as Typed<DecimalField, string, O>;
}

export function Boolean<const O extends FieldOptions<boolean> = {}>(options?: O): Typed<BooleanField, boolean, O> {
  return new BooleanField(options) as Typed<BooleanField, boolean, O>;
}

export function String<const O extends StringOptions = {}>(options?: O): Typed<StringField, string, O> {
  return new StringField(options) as Typed<StringField, string, O>;
}

export function Text<const O extends StringOptions = {}>(options?: O): Typed<TextField, string, O> {
  return new TextField(options) as Typed<TextField, string, O>;
}

export function Email<const O extends StringOptions = {}>(options?: O): Typed<StringField, string, O> {
  return emailField(options) as Typed<StringField, string, O>;
}

export function URL<const O extends StringOptions = {}>(options?: O): Typed<StringField, string, O> {
  return urlField(options) as Typed<StringField, string, O>;
}

export function IPAddress<const O extends StringOptions = {}>(options?: O): Typed<StringField, string, O> {
  return ipAddressField(options) as Typed<StringField, string, O>;
}

export function Enum<const V extends string, const O extends FieldOptions<V> = {}>(
  choices: readonly V[],
  options?: O,
): Typed<EnumField<V>, V, O> {
  return new EnumField<V>(choices, options) as Typed<EnumField<V>, V, O>;
}

export function UUID<const O extends FieldOptions<string> = {}>(options?: O): Typed<UUIDField, string, O, true> {
  return new UUIDField(options) as Typed<UUIDField, string, O, true>;
}

export function Date<const O extends FieldOptions<string> = {}>(options?: O): Typed<DateField, string, O> {
  return new DateField(options) as Typed<DateField, string, O>;
}

export function Time<const O extends FieldOptions<string> = {}>(options?: O): Typed<TimeField, string, O> {
  return new TimeField(options) as Typed<TimeField, string, O>;
}

export function DateTime<const O extends DateTimeOptions = {}>(options?: O): Typed<DateTimeField, globalThis.Date, O> {
  return new DateTimeField(options) as Typed<DateTimeField, globalThis.Date, O>;
}

export function JSON<const O extends FieldOptions<JsonValue> = {}>(options?: O): Typed<JSONField, JsonValue, O> {
  return new JSONField(options) as Typed<JSONField, JsonValue, O>;
}

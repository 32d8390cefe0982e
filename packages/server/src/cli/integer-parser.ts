import { InvalidArgumentError } from "commander";

/** Builds a commander option parser accepting only whole numbers from `min` to `max`. */
export function integerParser(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    }
    return value;
  };
}
